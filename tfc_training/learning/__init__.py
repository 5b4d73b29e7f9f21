"""Training for TFC leaders: the curriculum files, lessons, quizzes and certificates."""
