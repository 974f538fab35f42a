using System.Diagnostics;
using SessionBuddy.LocalSystem.Model;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>Finds what a local run needs before anything starts, so a missing tool is one clear line, not a stack trace.</summary>
public static class PrerequisiteCheck
{
    public const string InstallCommand = "eng/install-prereqs.sh";

    public sealed record Missing(string What, string Where, string Fix);

    public static IReadOnlyList<Missing> Run(HostOptions options, ResourceModel model, bool needProjects = true)
    {
        var missing = new List<Missing>();
        var install = $"{InstallCommand} (from {BuildMetadata.RepositoryRoot})";
        if (options.ExternalPostgres is null)
        {
            foreach (var tool in new[] { "initdb", "pg_ctl", "postgres" })
            {
                var path = Path.Combine(options.PostgresBinDirectory, tool);
                if (!File.Exists(path))
                {
                    missing.Add(new Missing($"PostgreSQL 15 '{tool}'", path, install));
                }
            }
            var vector = Path.Combine(PostgresShareDirectory(options.PostgresBinDirectory), "extension", "vector.control");
            if (!File.Exists(vector))
            {
                missing.Add(new Missing("pgvector extension (vector.control)", vector, install));
            }
        }
        if (options.ExternalRabbitMq is null && !File.Exists(options.RabbitMqServerPath))
        {
            missing.Add(new Missing("rabbitmq-server", options.RabbitMqServerPath, install));
        }
        foreach (var tool in new[] { "setsid", "setpriv" })
        {
            if (FindOnPath(tool) is null)
            {
                missing.Add(new Missing($"'{tool}' (util-linux)", "PATH", "apt-get install -y util-linux"));
            }
        }
        if (DotnetHost() is null)
        {
            missing.Add(new Missing("dotnet", "PATH", "install the .NET 10 SDK (see global.json)"));
        }
        if (needProjects)
        {
            foreach (var project in model.OfType<ProjectResource>().Where(p => !File.Exists(p.Location.AssemblyPath)))
            {
                missing.Add(new Missing($"built project '{project.Name}'", project.Location.AssemblyPath, "dotnet build tests/SessionBuddy.LocalSystem"));
            }
        }
        return missing;
    }

    public static string Describe(IReadOnlyList<Missing> missing) =>
        "Cannot start SessionBuddy, prerequisites are missing:" + Environment.NewLine +
        string.Join(Environment.NewLine, missing.Select(m => $"  - {m.What}: not found at {m.Where}; install with: {m.Fix}"));

    /// <summary>The dotnet host that runs the services: the one running us when it is dotnet, else PATH.</summary>
    public static string? DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }
        return FindOnPath("dotnet");
    }

    private static string PostgresShareDirectory(string binDirectory)
    {
        var pgConfig = Path.Combine(binDirectory, "pg_config");
        if (File.Exists(pgConfig))
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(pgConfig, "--sharedir") { RedirectStandardOutput = true, UseShellExecute = false })!;
                var share = process.StandardOutput.ReadToEnd().Trim();
                process.WaitForExit();
                if (process.ExitCode == 0 && share.Length > 0)
                {
                    return share;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not executable: fall back to Debian's layout.
            }
        }
        return "/usr/share/postgresql/15";
    }

    private static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
}
