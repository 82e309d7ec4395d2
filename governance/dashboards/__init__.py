"""Dashboards for street and district staff: KPI rollups, pages, rankings, exports (issue 6)."""
