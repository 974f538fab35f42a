using MassTransit;
using Microsoft.Extensions.Options;
using SessionBuddy.Contracts.Health;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SessionsOptions>()
            .Bind(builder.Configuration.GetSection(SessionsOptions.SectionName))
            .Validate(o => o.MaxMessageLength > 0, "Sessions:MaxMessageLength must be positive")
            .Validate(o => o.MaxFileBytes > 0, "Sessions:MaxFileBytes must be positive")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ContainerCli), "Sessions:ContainerCli must name the docker or podman CLI")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new SessionRules(sp.GetRequiredService<IOptions<SessionsOptions>>().Value));
        builder.Services.AddSingleton<SessionWorkspaces>();
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<WorkingDirectoryProbe>();
        builder.Services.AddSingleton<WorkspaceBackendRegistry>();
        builder.Services.AddSingleton<WorkspaceFiles>();
        builder.Services.AddSingleton<LifecycleStore>();

        builder.AddServiceDatabase("sessionsdb", typeof(Extensions).Assembly);
        builder.AddServiceBus(ServiceNames.Sessions, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }
}
