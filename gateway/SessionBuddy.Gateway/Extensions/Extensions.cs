using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.Gateway.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceBus(serviceName: null, bus => { });
    }

    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        return app;
    }
}
