namespace SessionBuddy.AkoshaSync.Push;

/// <summary>Wakes the pusher in this process when items were queued; other replicas find them on their next poll.</summary>
public sealed class PushSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Notify()
    {
        try
        {
            _semaphore.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the next pass takes every due item.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _semaphore.WaitAsync(timeout, cancellationToken);
}
