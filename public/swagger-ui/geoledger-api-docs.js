// Starts Swagger UI on GeoLedger's OpenAPI document (the /api/docs page).
// A file, not an inline script: the Content-Security-Policy runs no inline script.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The bearer token typed into "Authorize" is kept for this tab only.
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
});
