using System.Runtime.InteropServices;
using SessionBuddy.AppHost.Hosting;
using SessionBuddy.AppHost.Publishing;

namespace SessionBuddy.AppHost;

/// <summary>What <c>dotnet run --project SessionBuddy.AppHost</c> does: publish the manifest, or run everything until Ctrl+C.</summary>
public static class AppHostCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(AppHostCommandLine.Usage);
            return 0;
        }
        AppHostCommandLine commandLine;
        try
        {
            commandLine = AppHostCommandLine.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

        var options = commandLine.Options;
        var model = options.BuildModel();
        if (commandLine.Publisher is not null)
        {
            await ManifestPublisher.WriteAsync(model, commandLine.OutputPath!);
            Console.WriteLine($"Wrote the Aspire manifest to {Path.GetFullPath(commandLine.OutputPath!)}");
            return 0;
        }

        var missing = PrerequisiteCheck.Run(options, model);
        if (missing.Count > 0)
        {
            Console.Error.WriteLine(PrerequisiteCheck.Describe(missing));
            return 3;
        }

        using var stopping = new CancellationTokenSource();
        var stopRequested = new TaskCompletionSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we stop the children ourselves, in order
            stopRequested.TrySetResult();
            stopping.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        await using var orchestrator = new Orchestrator(model, options);
        try
        {
            Console.WriteLine($"[apphost] data directory {orchestrator.DataDirectory}");
            await orchestrator.StartInfrastructureAsync(stopping.Token);
            Console.WriteLine($"[apphost] postgres and messaging ready; starting {orchestrator.Projects.Count} projects");
            await orchestrator.StartProjectsAsync(stopping.Token);
            foreach (var (name, project) in orchestrator.Projects)
            {
                Console.WriteLine($"[apphost] {name,-11} healthy at {project.Endpoint}");
            }
            Console.WriteLine($"[apphost] SessionBuddy is running. MCP endpoint: {new Uri(orchestrator.Endpoint("gateway"), "/mcp")}");
            Console.WriteLine("[apphost] press Ctrl+C to stop");
            await stopRequested.Task;
            Console.WriteLine("[apphost] stopping");
            return 0;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            Console.WriteLine("[apphost] start-up cancelled; stopping");
            return 0;
        }
        catch (Exception ex) when (ex is ResourceStartException or InvalidOperationException)
        {
            Console.Error.WriteLine($"[apphost] start-up failed: {ex.Message}");
            return 1;
        }
        finally
        {
            await orchestrator.StopAsync();
            Console.WriteLine("[apphost] stopped");
        }
    }
}
