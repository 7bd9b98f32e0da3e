/* clientfd.c: the client's socket while a stream goes to it. */
#ifndef CTLD_CLIENTFD_H
#define CTLD_CLIENTFD_H

/* A followed stream goes out at most this often: unnoticed by eye. */
#define FOLLOW_PACE_MS	50

int	client_left(int client_fd, short revents);
int	client_pace(int client_fd, int ms);

#endif
