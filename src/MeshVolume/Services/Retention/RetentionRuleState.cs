using System;
using System.Collections.Generic;
using System.Linq;

namespace MeshVolume.Services.Retention
{
    /// <summary>
    /// The rules of one policy while it walks the backups of one volume, newest first: the
    /// counts left and the last bucket kept by each counted rule, and the -KeepWithin cutoff.
    /// </summary>
    internal sealed class RetentionRuleState
    {
        private readonly TimeZoneInfo _timeZone;
        private readonly List<string[]> _tagLists;
        private readonly RetentionDuration _within;
        private readonly DateTime? _withinCutoffUtc;
        private readonly List<CountedRule> _countedRules = new List<CountedRule>();

        public RetentionRuleState(
            RetentionPolicy policy, IReadOnlyList<RetentionCandidate> newestFirst,
            TimeZoneInfo timeZone, DateTime nowUtc)
        {
            _timeZone = timeZone;
            _tagLists = RetentionPolicy.ParseTagLists(policy.KeepTag);
            _within = policy.KeepWithin;
            if (_within != null)
            {
                _withinCutoffUtc = FindWithinCutoff(newestFirst, nowUtc);
            }

            AddCountedRule("last", null, policy.KeepLast);
            AddCountedRule("hourly", RetentionPeriod.Hourly, policy.KeepHourly);
            AddCountedRule("daily", RetentionPeriod.Daily, policy.KeepDaily);
            AddCountedRule("weekly", RetentionPeriod.Weekly, policy.KeepWeekly);
            AddCountedRule("monthly", RetentionPeriod.Monthly, policy.KeepMonthly);
            AddCountedRule("yearly", RetentionPeriod.Yearly, policy.KeepYearly);
        }

        /// <summary>
        /// Returns the reasons to keep the backup at this position of the newest-first list,
        /// in restic's order (tags, within, last, hourly ... yearly), and uses up the counts.
        /// </summary>
        public IReadOnlyList<string> Match(RetentionCandidate backup, int index)
        {
            var reasons = new List<string>();
            foreach (string[] tags in _tagLists)
            {
                if (HasTags(backup, tags))
                {
                    reasons.Add("tag " + RetentionPolicy.FormatTagList(tags));
                }
            }

            bool within = _withinCutoffUtc == null || backup.CreatedUtc > _withinCutoffUtc;
            if (_within != null && within)
            {
                reasons.Add("within " + _within);
            }

            DateTime wallClock = TimeZoneInfo.ConvertTimeFromUtc(backup.CreatedUtc, _timeZone);
            foreach (CountedRule rule in _countedRules)
            {
                if (rule.Remaining == 0)
                {
                    continue;
                }

                // Position numbers make every backup its own bucket for -KeepLast.
                string bucket = rule.Period.HasValue
                    ? RetentionBuckets.GetBucket(rule.Period.Value, wallClock)
                    : "#" + index;
                if (bucket != rule.LastBucket)
                {
                    rule.LastBucket = bucket;
                    rule.Remaining--;
                    reasons.Add(rule.Period.HasValue ? rule.Name + " " + bucket : rule.Name);
                }
            }

            return reasons;
        }

        /// <summary>
        /// Returns the instant after which backups are within the duration, measured from the
        /// newest backup that is older than now. Returns null when every backup is newer than
        /// now: restic 0.14 then measures from the zero time and keeps every backup.
        /// </summary>
        private DateTime? FindWithinCutoff(
            IReadOnlyList<RetentionCandidate> newestFirst, DateTime nowUtc)
        {
            DateTime now = nowUtc.Kind == DateTimeKind.Local ? nowUtc.ToUniversalTime() : nowUtc;
            RetentionCandidate reference = newestFirst.FirstOrDefault(b => b.CreatedUtc < now);
            if (reference == null)
            {
                return null;
            }

            return _within.SubtractFrom(reference.CreatedUtc, _timeZone);
        }

        private void AddCountedRule(string name, RetentionPeriod? period, int count)
        {
            if (count > 0)
            {
                var rule = new CountedRule { Name = name, Period = period, Remaining = count };
                _countedRules.Add(rule);
            }
        }

        /// <summary>
        /// True when the backup has every tag of the list. An empty tag in the list matches a
        /// backup without tags, as restic 0.14's --keep-tag '' does.
        /// </summary>
        private static bool HasTags(RetentionCandidate backup, string[] tags)
        {
            foreach (string tag in tags)
            {
                if (tag.Length == 0 && backup.Tags.Count == 0)
                {
                    return true;
                }

                if (!backup.Tags.Contains(tag, StringComparer.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }

        private sealed class CountedRule
        {
            public string Name;
            public RetentionPeriod? Period;
            public int Remaining;
            public string LastBucket;
        }
    }
}
