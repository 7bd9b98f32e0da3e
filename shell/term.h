/* Interactive mode: libedit on a terminal, else one command a line. */
#ifndef CTL_TERM_H
#define CTL_TERM_H

/* Reads and runs commands until exit, EOF or the idle timeout. */
int	term_run(void);

#endif
