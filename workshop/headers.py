"""Response headers that no view needs to think about."""

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.middleware import csp

# The pages use none of these browser features: a page that is ever injected cannot ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera", "microphone", "geolocation", "payment", "usb", "serial", "bluetooth",
        "magnetometer", "gyroscope", "accelerometer", "display-capture", "midi",
    )
)  # fmt: skip


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


# The pages. The only other type a browser renders as a document with scripts is SVG: the app
# serves none but its own static favicon (uploaded photos are re-encoded as JPEG).
DOCUMENT_TYPES = ("text/html",)


class ContentSecurityPolicyMiddleware(csp.ContentSecurityPolicyMiddleware):
    """Django's CSP middleware (settings.SECURE_CSP), with the page's own WebSocket origin
    named in connect-src. CSP3 counts ws:/wss: on the page's host as 'self', but some older
    browsers (older Safari among them) do not, and would refuse the live pages' sockets.
    The host is the one Django has already checked against ALLOWED_HOSTS."""

    def process_response(self, request, response):
        if response.status_code in range(300, 400) or not response.get(
            "Content-Type", ""
        ).startswith(DOCUMENT_TYPES):
            # Redirects, scripts, stylesheets and icons are not rendered as pages: a policy on
            # them does nothing and costs ~230 bytes each on the phones' first visit.
            response._csp_config = {}
        elif not hasattr(response, "_csp_config") and settings.SECURE_CSP:
            try:
                host = request.get_host()
            except DisallowedHost:
                host = None
            if host:
                scheme = "wss" if request.is_secure() else "ws"
                config = dict(settings.SECURE_CSP)
                config["connect-src"] = [*config.get("connect-src", []), f"{scheme}://{host}"]
                # The attribute Django's @csp_override sets: a view's own policy wins.
                response._csp_config = config
        return super().process_response(request, response)
