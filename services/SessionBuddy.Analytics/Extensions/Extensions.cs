using MassTransit;
using SessionBuddy.Analytics.Activity;
using SessionBuddy.Contracts.Health;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.Analytics.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SessionActivityProjection>();

        builder.AddServiceDatabase("analyticsdb", typeof(Extensions).Assembly);
        builder.AddServiceBus(ServiceNames.Analytics, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }
}
