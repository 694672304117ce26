/*
 * tcpinfo.h - what the kernel counted on a TCP socket: the bytes a child
 * moved on a socket the worker still holds (exec programs, serve()
 * children), without relaying them.
 */
#ifndef SUPERD_TCPINFO_H
#define SUPERD_TCPINFO_H

#include <stdint.h>

/**
 * Bytes received from the peer and bytes the peer acknowledged on TCP
 * socket fd (Linux TCP_INFO: tcpi_bytes_received, tcpi_bytes_acked).
 * 0, or -1 when fd is not TCP or the kernel does not say (errno set).
 */
int tcpinfo_bytes(int fd, uint64_t *in, uint64_t *out);

#endif
