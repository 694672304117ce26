# tests: build rules (filled in by the owner of this area)
