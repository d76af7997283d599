"""The one door of every HTTP request: requester, policy checks, request models, replies,
error mapping and the OpenAPI description. Edges (web/api, web/pages, bot) use it; domain
packages never see it."""
