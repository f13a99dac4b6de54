"""Maintainers' tools: not imported by any lesson.

  run_all         execute every notebook in order, save outputs, write the run report and README's runtime table
  student_copies  the lesson notebooks with every output cleared, for learners
  machine         what the machine is and how busy it was (CPU share of other programs, hypervisor steal)
  check_setup     is a learner's machine ready for class (`make check-setup`)
  claims_ledger   CLAIMS.md: every claim the notebooks measured, with its interval and verdict (`make claims`)
  mutation        planted bugs, one at a time in a copy of the repository: how many the unit tests catch (`make mutation`)

Run them from the repository root, e.g. `python -m tools.run_all 04` (the Makefile's targets do).
"""
