using System.Text;
using Microsoft.Extensions.Configuration;

namespace SessionBuddy.AppHost.Deployment;

/// <summary>
/// The replica count for a Kubernetes deployment. Aspire's manifest (project.v0) has no field for it, so publishing
/// with <c>--replicas N</c> also writes <c>deploy/k8s-replicas/kustomization.yaml</c> next to the manifest: a kustomize
/// overlay over the folder <c>aspirate generate --output-path deploy/k8s</c> writes, giving every project's Deployment
/// N replicas (docs/deploy.md, "Scaling out").
/// </summary>
internal static class ReplicaOverlay
{
    public const string RelativePath = "deploy/k8s-replicas/kustomization.yaml";

    /// <summary>Where <c>--output-path</c> puts the manifest: that file, or aspire-manifest.json in that folder.</summary>
    private const string OutputPathSetting = "Pipeline:OutputPath";

    /// <summary>Writes the overlay when a replica count was given (<c>--replicas</c>, SessionBuddy:Replicas) and a manifest is published.</summary>
    public static void WriteWhenAskedFor(IDistributedApplicationBuilder builder, int replicas)
    {
        var given = builder.Configuration["SessionBuddy:Replicas"] is not null || builder.Configuration["replicas"] is not null;
        if (!builder.ExecutionContext.IsPublishMode || !given || builder.Configuration[OutputPathSetting] is not { Length: > 0 } outputPath)
        {
            return;
        }
        builder.Eventing.Subscribe<BeforeStartEvent>(async (_, cancellationToken) =>
        {
            var manifest = Path.GetFullPath(outputPath);
            var folder = manifest.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? Path.GetDirectoryName(manifest)! : manifest;
            var file = Path.Combine(folder, RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var projects = builder.Resources.OfType<ProjectResource>().Select(p => p.Name).Order(StringComparer.Ordinal);
            await File.WriteAllTextAsync(file, Render(projects, replicas), cancellationToken);
        });
    }

    public static string Render(IEnumerable<string> projects, int replicas)
    {
        var yaml = new StringBuilder()
            .Append("# Written by the AppHost when publishing with --replicas ").Append(replicas).Append(" (the manifest has no replica count).\n")
            .Append("# Apply over aspirate's output: aspirate generate --output-path deploy/k8s, then kubectl apply -k deploy/k8s-replicas\n")
            .Append("resources:\n- ../k8s\nreplicas:\n");
        foreach (var project in projects)
        {
            yaml.Append("- name: ").Append(project).Append('\n')
                .Append("  count: ").Append(replicas).Append('\n');
        }
        return yaml.ToString();
    }
}
