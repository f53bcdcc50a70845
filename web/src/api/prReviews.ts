import { request } from './client'

export type PrStatus = 'open' | 'merged' | 'closed'
export type ReviewStatus = 'pending' | 'reviewing' | 'approved' | 'changes_requested' | 'fixed'

/** A pull request Agented reviews (the original's `pr_reviews` row). */
export interface PrReview {
  id: number
  trigger_id: string
  project_name: string
  github_repo_url: string | null
  pr_number: number
  pr_url: string
  pr_title: string
  pr_author: string | null
  pr_status: PrStatus
  review_status: ReviewStatus
  review_comment: string | null
  fixes_applied: number
  fix_comment: string | null
  created_at: string
  updated_at: string
}

export interface PrReviewStats {
  total_prs: number
  open_prs: number
  merged_prs: number
  closed_prs: number
  pending_reviews: number
  approved_reviews: number
  changes_requested: number
  fixed_reviews: number
}

export function listPrReviews(filters: { pr_status?: string; review_status?: string }, limit = 100): Promise<{ reviews: PrReview[]; total: number }> {
  const params = new URLSearchParams({ limit: String(limit) })
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value)
  return request(`/api/pr-reviews/?${params}`)
}

export function prReviewStats(): Promise<PrReviewStats> {
  return request('/api/pr-reviews/stats')
}
