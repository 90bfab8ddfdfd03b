"""REST API of cmdb."""
