namespace SessionBuddy.ServiceDefaults.Scheduling;

/// <summary>
/// Wakes a background loop in this process at once instead of at its next poll; signals while it is awake fold into
/// one, since each pass takes everything that is due.
/// </summary>
public abstract class WakeSignal
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
            // Already signalled: the next pass takes everything pending.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _semaphore.WaitAsync(timeout, cancellationToken);
}
