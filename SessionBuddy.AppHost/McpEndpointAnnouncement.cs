using Microsoft.Extensions.Configuration;
using SessionBuddy.Contracts.Health;

namespace SessionBuddy.AppHost;

/// <summary>Prints where to point an MCP client and where the dashboard is, once every project is healthy.</summary>
internal static class McpEndpointAnnouncement
{
    public static void Subscribe(IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> gateway)
    {
        var started = DateTime.UtcNow;
        var pending = ServiceNames.Databases.Count + 1;
        var dashboard = (builder.Configuration["ASPNETCORE_URLS"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.Eventing.Subscribe<ResourceReadyEvent>(project, async (_, cancellationToken) =>
            {
                if (Interlocked.Decrement(ref pending) != 0)
                {
                    return;
                }
                var mcp = new Uri(new Uri(await gateway.GetEndpoint("http").GetValueAsync(cancellationToken) ?? ""), "/mcp");
                Console.WriteLine($"SessionBuddy is running ({(DateTime.UtcNow - started).TotalSeconds:0} s). MCP endpoint: {mcp}");
                if (dashboard is not null)
                {
                    Console.WriteLine($"Dashboard: {dashboard}");
                }
                Console.WriteLine("Press Ctrl+C to stop.");
            });
        }
    }
}
