"""The committees pages, one module per part of a meeting's life (routes in committees/urls.py)."""
