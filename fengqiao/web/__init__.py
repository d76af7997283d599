"""HTTP edges: JSON API, pages and their static assets."""
