using SessionBuddy.AkoshaSync.Hub;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Contracts.Health;
using SessionBuddy.Messaging;
using SessionBuddy.ServiceDefaults.Configuration;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.AkoshaSync.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<AkoshaOptions>(AkoshaOptions.SectionName);
        builder.Services.AddHttpClient(HubClient.HttpClientName);
        builder.Services.AddSingleton<PushSignal>();
        builder.Services.AddSingleton<PushQueueStore>();
        builder.Services.AddSingleton<HubClient>();
        builder.Services.AddSingleton<HubStore>();

        builder.AddServiceDatabase("akoshadb", typeof(Extensions).Assembly);
        builder.AddOutbox();
        builder.AddServiceBus(ServiceNames.AkoshaSync, bus => bus.AddConsumers(typeof(Extensions).Assembly));
        // After the bus: starts pushing once the application has started.
        builder.Services.AddHostedService<AkoshaPusher>();
    }
}
