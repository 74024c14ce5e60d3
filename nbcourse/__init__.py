"""The course's grading tools, built around nbgrader (never instead of it).

* :mod:`nbcourse.checks`: what hidden tests call: a student's function compared with
  nnlib's on seeded inputs, with known mistakes named in the failure message.
* :mod:`nbcourse.preprocessors`: nbgrader preprocessors that close its gaps (stderr
  that would zero a correct cell; hidden tests shown in feedback).
* :mod:`nbcourse.cli`: the instructor's and the student's commands
  (``python -m nbcourse --help``).
"""
