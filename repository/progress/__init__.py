"""Study progress of student accounts (opened, watched to the end, downloaded), per book."""
