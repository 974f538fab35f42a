namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// Runs open re-embedding jobs of the configured model in the background, batch after batch, until no
/// reflection lacks its vector. Woken by <see cref="ReembeddingSignal"/> and otherwise polling, so a job
/// opened before a restart, or by another replica, is picked up.
/// </summary>
public sealed partial class ReembeddingWorker(IServiceProvider services, ReembeddingSignal signal, ILogger<ReembeddingWorker> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reembedding = services.GetRequiredService<Reembedding>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await reembedding.HasOpenJobAsync(stoppingToken))
                {
                    long done = 0;
                    for (int batch; (batch = await reembedding.RunBatchAsync(stoppingToken)) > 0;)
                    {
                        done += batch;
                    }
                    LogBatchesDone(done, reembedding.Model);
                }
                await signal.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(ex, reembedding.Model);
                await Task.Delay(RetryAfterFailure, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Re-embedded {Count} reflections with {Model}")]
    private partial void LogBatchesDone(long count, string model);

    [LoggerMessage(LogLevel.Warning, "Re-embedding with {Model} failed; retrying later")]
    private partial void LogFailed(Exception exception, string model);
}
