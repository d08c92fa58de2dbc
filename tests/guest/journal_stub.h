/* The in-memory journal of the guest test programs (journal_stub.c). */
#ifndef VP_TESTS_GUEST_JOURNAL_STUB_H
#define VP_TESTS_GUEST_JOURNAL_STUB_H

struct vp_journal;

/* The program's one journal; its run tag is the pid. */
struct vp_journal *guest_journal(void);

#endif
