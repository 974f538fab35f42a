using SessionBuddy.ServiceDefaults.Scheduling;

namespace SessionBuddy.AkoshaSync.Push;

/// <summary>Wakes the pusher in this process when items were queued; other replicas find them on their next poll.</summary>
public sealed class PushSignal : WakeSignal;
