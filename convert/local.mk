# convert: superd-convert, xinetd and inetd.conf configurations to
# superd.yaml (C, no dependency beyond libc), with its tests: the Debian
# xinetd package's own files and a corpus under tests/convert/.
bin_PROGRAMS += superd-convert
superd_convert_SOURCES = convert/main.c convert/convert.h convert/util.c \
	convert/xinetd.c convert/inetd.c convert/addrs.c convert/emit.c

TESTS += tests/integration/test_convert.py
EXTRA_DIST += tests/integration/test_convert.py tests/convert/README.md \
	tests/convert/debian/xinetd.conf \
	tests/convert/debian/xinetd.d/chargen tests/convert/debian/xinetd.d/chargen-udp \
	tests/convert/debian/xinetd.d/daytime tests/convert/debian/xinetd.d/daytime-udp \
	tests/convert/debian/xinetd.d/discard tests/convert/debian/xinetd.d/discard-udp \
	tests/convert/debian/xinetd.d/echo tests/convert/debian/xinetd.d/echo-udp \
	tests/convert/debian/xinetd.d/servers tests/convert/debian/xinetd.d/services \
	tests/convert/debian/xinetd.d/time tests/convert/debian/xinetd.d/time-udp \
	tests/convert/corpus/xinetd.conf tests/convert/corpus/xinetd.d/rsync \
	tests/convert/corpus/xinetd.d/tftp tests/convert/corpus/xinetd.d/cvspserver \
	tests/convert/corpus/xinetd.d/internal tests/convert/corpus/inetd-netkit.conf \
	tests/convert/corpus/inetd-bsd.conf
