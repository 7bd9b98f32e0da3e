#ifndef CTL_VERSION_H
#define CTL_VERSION_H

/* The one version of ctl, ctld and pam_ctl.so; the Makefile reads it. */
#define CTL_VERSION	"0.1.0"

#endif
