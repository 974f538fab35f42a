using MassTransit;
using SessionBuddy.Contracts.Health;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.Memory.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase("memorydb", typeof(Extensions).Assembly);
        builder.AddServiceBus(ServiceNames.Memory, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }
}
