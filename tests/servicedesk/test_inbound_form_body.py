"""A mail gateway that posts a form instead of the raw message gets an answer, not an error."""


def test_a_multipart_body_to_the_inbound_endpoint_is_no_server_error(client, mailbox):
    auth = {"Authorization": f"Bearer {mailbox.inbound_token}"}
    response = client.post(
        "/api/servicedesk/inbound/email", {"message": "Subject: hi\n\nhello"}, headers=auth
    )
    assert response.status_code == 202
    assert "outcome" in response.json()
