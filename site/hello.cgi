#!/bin/sh
# hello.cgi - a CGI/1.1 example for superd: it prints the request as the
# script sees it.  Any executable file whose name ends in .cgi runs this way.
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'
printf 'Hello from a CGI script run by %s.\n\n' "$SERVER_SOFTWARE"
printf 'You asked for %s %s (query: "%s").\n\n' "$REQUEST_METHOD" "$REQUEST_URI" "$QUERY_STRING"
printf 'The environment a CGI program gets (RFC 3875 meta-variables,\n'
printf 'HTTP_* for the request header fields, and nothing of the server'"'"'s own):\n\n'
env | LC_ALL=C sort | sed 's/^/    /'
if [ "$REQUEST_METHOD" = POST ]; then
	printf '\nThe request body (%s bytes):\n' "${CONTENT_LENGTH:-0}"
	head -c "${CONTENT_LENGTH:-0}"
	echo
fi
