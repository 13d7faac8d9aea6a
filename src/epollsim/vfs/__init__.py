"""What every open file shares: wait queues, open file descriptions, the fd table, epoll."""
