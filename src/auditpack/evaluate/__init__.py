"""Stage 4, judging: checks over the inventory give findings, findings over controls give the assessment."""
