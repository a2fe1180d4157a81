// Carries the page the user asked for through the login, and shows why a
// previous attempt failed. The server accepts only a local path anyway.
document.addEventListener("DOMContentLoaded", function () {
  var params = new URLSearchParams(window.location.search);
  var referer = params.get("referer");
  if (referer && referer.charAt(0) === "/" && referer.charAt(1) !== "/")
    document.getElementById("referer").value = referer;
  if (params.get("reason") === "wrong-credentials")
    document.getElementById("login-error").hidden = false;
});
