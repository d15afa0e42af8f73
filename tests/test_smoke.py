from workshop.workshops.models import Role


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Sign in" in response.get_data(as_text=True)


def test_member_sees_workshop_home(client, make):
    workshop = make.workshop()
    participant = make.member(workshop, Role.PARTICIPANT)
    make.sign_in(client, participant)
    response = client.get(f"/w/{workshop.code}/")
    assert response.status_code == 200
    assert workshop.title in response.get_data(as_text=True)
