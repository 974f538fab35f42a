using System.ComponentModel.DataAnnotations;

namespace SessionBuddy.Gateway;

/// <summary>Where the gateway listens by default and how it waits for the services, bound from configuration section "Gateway".</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    public const int DefaultPort = 8678;

    /// <summary>The port on loopback when none of ASPNETCORE_URLS, HTTP_PORTS, HTTPS_PORTS is set (0: any free port).</summary>
    [Range(0, 65535, ErrorMessage = "must be a port number, 0 to 65535")]
    public int Port { get; set; } = DefaultPort;

    /// <summary>How long one attempt waits for a service's reply.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00", ErrorMessage = "must be positive and at most a day")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Attempts per tool call. Safe for writes: they carry an operation id the service de-duplicates on.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "must be at least 1")]
    public int RequestAttempts { get; set; } = 3;
}
