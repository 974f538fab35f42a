using MassTransit;
using SessionBuddy.AkoshaSync.Hub;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Contracts.Health;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.AkoshaSync.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AkoshaOptions>()
            .Bind(builder.Configuration.GetSection(AkoshaOptions.SectionName))
            .Validate(o => !o.Configured || Uri.TryCreate(o.Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https",
                "Akosha:Endpoint must be an absolute http(s) address")
            .Validate(o => !o.HubEnabled || !string.IsNullOrWhiteSpace(o.HubKey), "Akosha:HubEnabled needs Akosha:HubKey (the key pushers send)")
            .Validate(o => o.BatchSize is >= 1 and <= HubWire.MaxBatchItems && o.MaxAttempts >= 1 && o.CircuitFailureThreshold >= 1,
                "Akosha:BatchSize must be 1..1000, Akosha:MaxAttempts and Akosha:CircuitFailureThreshold at least 1")
            .Validate(o => !string.IsNullOrWhiteSpace(o.SystemId) && o.SystemId.Length <= HubWire.MaxSystemIdLength, "Akosha:SystemId must be 1..128 characters")
            .ValidateOnStart();
        builder.Services.AddHttpClient(HubClient.HttpClientName);
        builder.Services.AddSingleton<PushSignal>();
        builder.Services.AddSingleton<PushQueueStore>();
        builder.Services.AddSingleton<HubClient>();
        builder.Services.AddSingleton<HubStore>();

        builder.AddServiceDatabase("akoshadb", typeof(Extensions).Assembly);
        builder.AddServiceBus(ServiceNames.AkoshaSync, bus => bus.AddConsumers(typeof(Extensions).Assembly));
        // After the bus: starts pushing once the application has started.
        builder.Services.AddHostedService<AkoshaPusher>();
    }
}
