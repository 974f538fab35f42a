using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SessionBuddy.ServiceDefaults.Telemetry;

/// <summary>SessionBuddy's own ActivitySource and Meter; every service and the gateway use these names.</summary>
public static class SessionBuddyTelemetry
{
    public const string Name = "SessionBuddy";

    public static readonly ActivitySource ActivitySource = new(Name);
    public static readonly Meter Meter = new(Name);
}
