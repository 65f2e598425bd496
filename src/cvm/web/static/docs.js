// The API docs page: Swagger UI served from this package, reading the server's OpenAPI spec.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
