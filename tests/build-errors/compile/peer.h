/* Functions of the library "peer", with what a gate can and cannot carry. */
#ifndef PEER_H
#define PEER_H
struct bytes128 {
	char b[128];
};
struct bytes129 {
	char b[129];
};
struct bytes16 {
	long a, b;
};
struct bytes24 {
	long a, b, c;
};

long peer_sum(long a, long b);
long peer_take128(struct bytes128 s);          /* exactly the limit */
long peer_take129(struct bytes129 s);          /* 136 bytes on the stack */
long peer_take_many(struct bytes128 s, long x); /* 136 bytes in all */
struct bytes16 peer_give16(void);              /* exactly the limit */
struct bytes24 peer_give24(void);              /* through caller memory */
double peer_give_double(void);
long double peer_give_long_double(void);
int peer_callback(int (*cb)(int), int x);
long peer_take_buffer(char *buffer);           /* handed an array */
#endif
