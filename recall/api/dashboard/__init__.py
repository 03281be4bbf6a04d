"""The regulators' dashboard (监管看板): pages in the browser, served by the API's app.

The pages are thin: the server renders the frame (navigation, labels in the reader's language,
who is signed in) and each page's script reads the API's own JSON endpoints with the session
cookie. So the dashboard sees exactly what the API lets the account see — the scope rules,
tested endpoint by endpoint by the property test, are not written a second time here.

Wiring: `install_dashboard(app)` after `install_auth`. Routes are left out of the OpenAPI
document: they answer HTML, not the API's contract.
"""

from recall.api.dashboard.routes import install_dashboard

__all__ = ["install_dashboard"]
