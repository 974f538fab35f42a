namespace SessionBuddy.WorkerPool.Confinement;

/// <summary>Says at start-up who worker tasks run as and how they are limited (or why no task can run).</summary>
public sealed partial class ConfinementStartupLog(TaskConfinement confinement, ILogger<ConfinementStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (confinement.Problem is null)
        {
            LogMode(confinement.StartupNote);
        }
        else
        {
            LogProblem(confinement.StartupNote);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Worker confinement: {Note}")]
    private partial void LogMode(string note);

    [LoggerMessage(LogLevel.Error, "Worker confinement: {Note}")]
    private partial void LogProblem(string note);
}
