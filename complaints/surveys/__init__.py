"""Follow-up surveys and revisit campaigns: services (writes), scheduling (the beat sweeper), tokens
(signed links), stats (figures). The models are in complaints.models.surveys."""
