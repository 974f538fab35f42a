using MassTransit;
using Microsoft.Extensions.Options;
using SessionBuddy.Contracts.Health;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;
using SessionBuddy.Sessions.Checkpoints;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Messages;
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
        builder.Services.AddSessionsDomain();

        builder.AddServiceDatabase("sessionsdb", typeof(Extensions).Assembly);
        builder.AddServiceBus(ServiceNames.Sessions, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }

    /// <summary>The stores and the lifecycle over them (the tests wire the same set against their own database).</summary>
    public static IServiceCollection AddSessionsDomain(this IServiceCollection services) => services
        .AddSingleton(sp => new SessionRules(sp.GetRequiredService<IOptions<SessionsOptions>>().Value))
        .AddSingleton<SessionWorkspaces>()
        .AddSingleton<SessionStore>()
        .AddSingleton<MessageStore>()
        .AddSingleton<CheckpointStore>()
        .AddSingleton<WorkingDirectoryProbe>()
        .AddSingleton<WorkspaceBackendRegistry>()
        .AddSingleton<WorkspaceFiles>()
        .AddSingleton<SessionLifecycle>();
}
