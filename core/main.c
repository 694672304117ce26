/* main.c - placeholder until the runtime lands. */
#include "config.h"
int main(void) { return 0; }
