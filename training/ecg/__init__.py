"""ECG: the CinC 2017 and MIT-BIH readers, and the rhythm and beat models' training and evaluation."""
