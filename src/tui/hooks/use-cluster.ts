/**
 * The data hook of `nucleus top`: starts a ClusterFeed (polling + event stream) in an effect,
 * stops it on unmount, and hands the screen its latest data and the operations it may run.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { ClusterFeed, initialQuery, type FeedClient, type FeedOptions } from '../cluster-feed.js';
import { emptyClusterData, type ClusterData, type ClusterOperations, type ClusterQuery } from '../model.js';

export interface ClusterHandle extends ClusterOperations {
  data: ClusterData;
  /** Tells the feed which tab, filter and job detail are on screen. */
  query(query: ClusterQuery): void;
}

export function useCluster(client: FeedClient, address: string, options?: FeedOptions): ClusterHandle {
  const [data, setData] = useState<ClusterData>(() => emptyClusterData(address));
  const feedRef = useRef<ClusterFeed | null>(null);
  // Children's effects run before this hook's effect, so the first query can arrive before the
  // feed exists: keep the latest one and start the feed with it.
  const queryRef = useRef<ClusterQuery>(initialQuery());
  const optionsRef = useRef(options);

  useEffect(() => {
    const feed = new ClusterFeed(client, address, optionsRef.current, queryRef.current);
    feedRef.current = feed;
    const unsubscribe = feed.subscribe(setData);
    feed.start();
    return () => {
      unsubscribe();
      feed.stop();
      feedRef.current = null;
    };
  }, [client, address]);

  const operations = useMemo(() => {
    const feed = (): ClusterFeed => {
      if (!feedRef.current) throw new Error('not connected to the master yet');
      return feedRef.current;
    };
    return {
      query(query: ClusterQuery) {
        queryRef.current = query;
        feedRef.current?.setQuery(query);
      },
      cancel: async (jobId: string) => feed().cancel(jobId),
      retry: async (jobId: string) => feed().retry(jobId),
      pause: async (queue: string, paused: boolean) => feed().pause(queue, paused),
    };
  }, []);

  return { data, ...operations };
}
