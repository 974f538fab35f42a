using System.ComponentModel.DataAnnotations;

namespace SessionBuddy.Gateway;

/// <summary>Settings of the gateway's MCP endpoint, bound from configuration section "Mcp".</summary>
public sealed class McpEndpointOptions
{
    public const string SectionName = "Mcp";

    public string ServerName { get; set; } = "SessionBuddy";

    /// <summary>Reported in serverInfo; defaults to the gateway assembly's informational version.</summary>
    public string? ServerVersion { get; set; }

    /// <summary>Host names accepted besides loopback (DNS rebinding protection); "*" accepts any host.</summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>Browser origins accepted besides those on loopback or an allowed host, e.g. "https://app.example".</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>A session with no request in flight for this long is closed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "10675199.02:48:05.4775807", ErrorMessage = "must be positive")]
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Upper bound on sessions kept in memory; the least recently used idle one makes room.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least 1")]
    public int MaxSessions { get; set; } = 1000;

    [Range(1L, long.MaxValue, ErrorMessage = "must be at least 1")]
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;
}
