"""The single point of contact: self-service portal, inbound email, knowledge base, CSAT."""
