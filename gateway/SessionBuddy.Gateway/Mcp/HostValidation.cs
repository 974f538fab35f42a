using Microsoft.Extensions.Options;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>
/// DNS rebinding protection required by the Streamable HTTP spec: a web page must not reach the
/// endpoint through a hostile name resolving to us (Host) or script it cross-site (Origin).
/// Loopback is always allowed; other names come from <see cref="McpEndpointOptions"/>.
/// </summary>
internal sealed class HostValidation(IOptions<McpEndpointOptions> options)
{
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "::1", "[::1]"];

    public bool IsAllowed(HttpRequest request, out string reason)
    {
        var settings = options.Value;
        if (!IsAllowedHost(request.Host.Host, settings))
        {
            reason = $"Forbidden: Host '{request.Host.Host}' is not allowed.";
            return false;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !IsAllowedOrigin(origin, settings))
        {
            reason = $"Forbidden: Origin '{origin}' is not allowed.";
            return false;
        }

        reason = "";
        return true;
    }

    private static bool IsAllowedHost(string host, McpEndpointOptions settings) =>
        host.Length > 0 &&
        (LoopbackHosts.Contains(host, StringComparer.OrdinalIgnoreCase) ||
         settings.AllowedHosts.Any(allowed => allowed == "*" || string.Equals(allowed, host, StringComparison.OrdinalIgnoreCase)));

    private static bool IsAllowedOrigin(string origin, McpEndpointOptions settings)
    {
        if (settings.AllowedOrigins.Any(allowed => allowed == "*" ||
                string.Equals(allowed.TrimEnd('/'), origin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        // "null" (sandboxed frames, file pages) and other unparsable origins are never trusted.
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) && IsAllowedHost(uri.Host, settings);
    }
}
