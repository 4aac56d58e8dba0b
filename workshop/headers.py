"""Response headers that no view needs to think about."""

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
